# Push to a registry that wants a login. Credentials come from a Docker config
# file: DOCKER_CONFIG=./docker-config (see docker-config/config.json), exactly as
# `docker login` would have written it. The test environment runs such a registry
# (plain HTTP on 127.0.0.1, user "mbake", password "mbake-secret").
variable "BASE_IMAGE" {
  default = "busybox:latest"
}

variable "PRIVATE_REGISTRY" {
  default = "127.0.0.1:5001"
}

target "private" {
  context = "app"
  args = {
    BASE_IMAGE = BASE_IMAGE
  }
  tags   = ["${PRIVATE_REGISTRY}/private/app:latest"]
  output = ["type=registry"]
}

group "default" {
  targets = ["private"]
}
