variable "prefix" {
  description = "Prefix of every resource name (lowercase letter first, then lowercase letters, digits or hyphens; at most 12 characters so that service account ids stay within 30)."
  type        = string
  default     = "runguard"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,11}$", var.prefix)) && !endswith(var.prefix, "-")
    error_message = "prefix must be 1-12 characters: a lowercase letter, then lowercase letters, digits or hyphens, not ending with a hyphen."
  }
}

variable "level" {
  description = "What the Log Router sink watches: organization, folder or project."
  type        = string

  validation {
    condition     = contains(["organization", "folder", "project"], var.level)
    error_message = "level must be one of organization, folder, project."
  }
}

variable "organization_id" {
  description = "Numeric organization id. Required when level is organization or folder (the custom role lives in the organization)."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null || can(regex("^[0-9]{1,20}$", var.organization_id))
    error_message = "organization_id must be the numeric id (e.g. 123456789012), without the organizations/ prefix."
  }
}

variable "folder_id" {
  description = "Numeric folder id. Required when level is folder."
  type        = string
  default     = null

  validation {
    condition     = var.folder_id == null || can(regex("^[0-9]{1,20}$", var.folder_id))
    error_message = "folder_id must be the numeric id (e.g. 987654321098), without the folders/ prefix."
  }
}

variable "watched_project_id" {
  description = "Project id the sink watches. Required when level is project."
  type        = string
  default     = null

  validation {
    condition     = var.watched_project_id == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.watched_project_id))
    error_message = "watched_project_id must be a project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}
