# Multi-platform release binaries, one folder per platform under ./dist.
variable "BASE_IMAGE" {
  default     = "busybox:latest"
  description = "Base image with a shell (the test environment seeds one into its registry)"
}

variable "VERSION" {
  default = "0.1.0"
}

variable "DIST" {
  default = "dist"
}

# Where a platform's files go: dist/linux-amd64, dist/linux-arm64, ...
function "outdir" {
  params = [platform]
  result = "${DIST}/${replace(platform, "/", "-")}"
}

target "_common" {
  args = {
    BASE_IMAGE = BASE_IMAGE
  }
}

target "_release" {
  inherits = ["_common"]
  args = {
    VERSION = VERSION
  }
  target = "binaries"
}

# One target per platform from a matrix; `mbake cross` builds them all (a matrix
# target's name is also a group of its expansions, as in buildx bake).
target "cross" {
  inherits  = ["_release"]
  matrix = {
    platform = ["linux/amd64", "linux/arm64"]
  }
  name      = "cross-${replace(platform, "/", "-")}"
  platforms = [platform]
  output    = ["type=local,dest=${outdir(platform)}"]
}

group "default" {
  targets = ["cross"]
}
