# mbake's own build file: bakes every example in examples/ on whatever BuildKit
# endpoints mbake finds (the README's first command starts a local one).
#
#   mbake                 # everything below
#   mbake cross           # just the cross-platform binaries
#   mbake --print         # what would be built, as JSON
#
# Paths are relative to the folder mbake runs in (as in buildx bake), so run it from
# the repository root.

variable "BASE_IMAGE" {
  default     = "busybox:latest"
  description = "Base image with a shell; scripts/test-env seeds a multi-arch one into its registry"
}

variable "REGISTRY" {
  default     = "127.0.0.1:5000"
  description = "Registry the monorepo images are pushed to"
}

variable "TAG" {
  default = "dev"
}

variable "OUT" {
  default     = "out"
  description = "Folder for local outputs"
}

function "platform_dir" {
  params = [platform]
  result = "${OUT}/cross/${replace(platform, "/", "-")}"
}

target "_base_args" {
  args = {
    BASE_IMAGE = BASE_IMAGE
  }
}

# Release binaries for two platforms, one folder each (examples/cross).
target "cross" {
  inherits = ["_base_args"]
  matrix = {
    platform = ["linux/amd64", "linux/arm64"]
  }
  name      = "cross-${replace(platform, "/", "-")}"
  context   = "examples/cross"
  target    = "binaries"
  platforms = [platform]
  args = {
    VERSION = TAG
  }
  output = ["type=local,dest=${platform_dir(platform)}"]
}

# A Dockerfile written in the bake file (examples/inline).
target "inline" {
  inherits = ["_base_args"]
  context  = "examples/inline"
  dockerfile-inline = <<-EOT
    ARG BASE_IMAGE
    FROM $${BASE_IMAGE} AS build
    RUN mkdir /out && echo "inline ok" > /out/inline.txt
    FROM scratch
    COPY --from=build /out/ /
  EOT
  output = ["type=local,dest=${OUT}/inline"]
}

# Services sharing one base stage through a target: context (examples/monorepo).
target "monorepo-base" {
  inherits = ["_base_args"]
  context  = "examples/monorepo/base"
}

target "monorepo" {
  matrix = {
    svc = ["api", "web", "worker"]
  }
  name     = "monorepo-${svc}"
  context  = "examples/monorepo/services/${svc}"
  contexts = {
    base = "target:monorepo-base"
  }
  args = {
    VERSION = TAG
  }
  tags   = ["${REGISTRY}/monorepo/${svc}:${TAG}"]
  output = ["type=registry"]
}

group "default" {
  targets = ["cross", "inline", "monorepo"]
}
