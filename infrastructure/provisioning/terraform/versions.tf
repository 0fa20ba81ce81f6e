terraform {
  # Version floors and the provider pin live here only. No backend block: the workspace runs
  # Terraform in a per-scenario copy of this folder (.workspace/<scenario>/aws/terraform/) and
  # writes the backend configuration there (local state by default, S3 + DynamoDB optional).
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
