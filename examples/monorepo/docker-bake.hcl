# Several services sharing one base stage, tagged from variables and pushed to a
# registry, with a shared build cache.
variable "BASE_IMAGE" {
  default = "busybox:latest"
}

variable "REGISTRY" {
  default     = "127.0.0.1:5000"
  description = "Where the images are pushed"
}

variable "TAG" {
  default = "dev"
}

variable "SERVICES" {
  default = ["api", "web", "worker"]
}

function "image" {
  params = [name]
  result = ["${REGISTRY}/monorepo/${name}:${TAG}"]
}

target "base" {
  context = "base"
  args = {
    BASE_IMAGE = BASE_IMAGE
  }
}

target "service" {
  matrix = {
    svc = SERVICES
  }
  name     = svc
  context  = "services/${svc}"
  contexts = {
    base = "target:base"
  }
  args = {
    VERSION = TAG
  }
  tags   = image(svc)
  output = ["type=registry"]
  labels = {
    "org.opencontainers.image.title" = svc
  }
}

group "default" {
  targets = ["service"]
}
