# Dockerfiles written inside the bake file: `dockerfile-inline` with a heredoc.
#
# The Dockerfile *heredoc* syntax (RUN <<EOF ... EOF inside a Dockerfile) needs the
# dockerfile 1.4 frontend; the Docker Engine 20.10 built-in frontend (dockerfile 1.2)
# does not support it, and `# syntax=` images cannot be pulled without a network.
# The HCL heredoc below is bake syntax and works everywhere.
variable "BASE_IMAGE" {
  default = "busybox:latest"
}

variable "GREETING" {
  default = "hello from an inline Dockerfile"
}

target "inline" {
  args = {
    BASE_IMAGE = BASE_IMAGE
    GREETING   = GREETING
  }
  dockerfile-inline = <<-EOT
    ARG BASE_IMAGE
    FROM $${BASE_IMAGE} AS build
    ARG GREETING
    RUN mkdir /out && echo "$${GREETING}" > /out/greeting.txt
    FROM scratch
    COPY --from=build /out/ /
  EOT
  output = ["type=local,dest=out/inline"]
}

# The same file as a tarball, from a one-line inline Dockerfile.
target "inline-tar" {
  args = {
    BASE_IMAGE = BASE_IMAGE
  }
  dockerfile-inline = "ARG BASE_IMAGE\nFROM $${BASE_IMAGE}\nRUN echo tar > /tar.txt\n"
  output            = ["type=tar,dest=out/inline.tar"]
}

group "default" {
  targets = ["inline", "inline-tar"]
}
