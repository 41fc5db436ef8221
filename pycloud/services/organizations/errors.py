"""The errors Organizations answers, worded as AWS words them (every one is a 400)."""

from __future__ import annotations

from pycloud.protocol.errors import ServiceError


def _error(code: str, message: str, reason: str | None = None) -> ServiceError:
    return ServiceError(code, message, 400, fields={"Reason": reason} if reason else None)


def not_in_use() -> ServiceError:
    return _error(
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization. To make this request, you must use the credentials "
        "of an account that belongs to an organization.",
    )


def already_in_organization() -> ServiceError:
    return _error("AlreadyInOrganizationException", "The provided account is already a member of an organization.")


def access_denied() -> ServiceError:
    return _error(
        "AccessDeniedException",
        "You don't have permissions to access this resource. Only the management account of the organization "
        "can perform this operation.",
    )


def organization_not_empty() -> ServiceError:
    return _error(
        "OrganizationNotEmptyException",
        "To delete an organization you must first remove all member accounts (except the management account).",
    )


def constraint(reason: str, message: str) -> ServiceError:
    """ConstraintViolationException with its ``Reason``."""
    return _error("ConstraintViolationException", message, reason)


def invalid_input(reason: str, message: str) -> ServiceError:
    """InvalidInputException with its ``Reason``."""
    return _error("InvalidInputException", message, reason)


def bad_token() -> ServiceError:
    return invalid_input("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken.")


def account_not_found() -> ServiceError:
    return _error("AccountNotFoundException", "You specified an account that doesn't exist.")


def create_status_not_found() -> ServiceError:
    return _error(
        "CreateAccountStatusNotFoundException",
        "We can't find an create account request with the CreateAccountRequestId that you specified.",
    )


def master_cannot_leave() -> ServiceError:
    return _error(
        "MasterCannotLeaveOrganizationException",
        "You can't remove a management account from an organization. If you want the management account to "
        "become a member account in another organization, you must first delete the current organization.",
    )


def parent_not_found() -> ServiceError:
    return _error("ParentNotFoundException", "You specified parent that doesn't exist.")


def child_not_found() -> ServiceError:
    return _error("ChildNotFoundException", "You specified a child that doesn't exist.")


def source_parent_not_found() -> ServiceError:
    return _error(
        "SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified."
    )


def destination_parent_not_found() -> ServiceError:
    return _error(
        "DestinationParentNotFoundException",
        "We can't find the destination container (a root or OU) with the ParentId that you specified.",
    )


def duplicate_account() -> ServiceError:
    return _error("DuplicateAccountException", "That account is already present in the specified destination.")


def ou_not_found() -> ServiceError:
    return _error("OrganizationalUnitNotFoundException", "You specified an organizational unit that doesn't exist.")


def duplicate_ou() -> ServiceError:
    return _error("DuplicateOrganizationalUnitException", "An OU with the same name already exists.")


def ou_not_empty() -> ServiceError:
    return _error(
        "OrganizationalUnitNotEmptyException",
        "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, "
        "and try the operation again.",
    )


def root_not_found() -> ServiceError:
    return _error("RootNotFoundException", "You specified a root that doesn't exist.")


def policy_not_found() -> ServiceError:
    return _error("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")


def target_not_found() -> ServiceError:
    return _error("TargetNotFoundException", "You specified a target that doesn't exist.")


def duplicate_policy() -> ServiceError:
    return _error("DuplicatePolicyException", "A policy with the same name already exists.")


def policy_in_use() -> ServiceError:
    return _error(
        "PolicyInUseException",
        "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts "
        "before performing this operation.",
    )


def duplicate_attachment() -> ServiceError:
    return _error(
        "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target."
    )


def policy_not_attached() -> ServiceError:
    return _error(
        "PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root."
    )


def malformed_policy(detail: str = "") -> ServiceError:
    message = "The provided policy document doesn't meet the requirements of the specified policy type."
    return _error("MalformedPolicyDocumentException", f"{message} {detail}".strip())


def policy_type_already_enabled() -> ServiceError:
    return _error("PolicyTypeAlreadyEnabledException", "The specified policy type is already enabled.")


def policy_type_not_enabled() -> ServiceError:
    return _error(
        "PolicyTypeNotEnabledException",
        "This operation can be performed only for enabled policy types. Enable the policy type on the root first.",
    )


def policy_type_not_available() -> ServiceError:
    return _error(
        "PolicyTypeNotAvailableForOrganizationException",
        "You can't use the specified policy type with the feature set currently enabled for this organization.",
    )


def immutable_policy() -> ServiceError:
    return invalid_input("IMMUTABLE_POLICY", "You specified a policy that is managed by AWS and can't be modified.")
