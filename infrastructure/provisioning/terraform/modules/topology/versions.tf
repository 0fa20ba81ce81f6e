terraform {
  # Provider-free on purpose: only locals and outputs, so `terraform test` runs offline.
  # 1.6 is the first release with `terraform test`.
  required_version = ">= 1.6"
}
