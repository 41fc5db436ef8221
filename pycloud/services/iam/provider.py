"""IAM: one provider composed of one mixin per family of operations.

IAM is global: one IAM per account whatever the region a client signs for, so every record lives
in the account's region-less scope. Every change that can alter an authorization decision calls
``_changed`` (which bumps ``runtime.policies``).
"""

from __future__ import annotations

from pycloud.services.iam.access_keys import AccessKeyOperations
from pycloud.services.iam.attachments import AttachmentOperations
from pycloud.services.iam.directory import DirectoryOperations
from pycloud.services.iam.groups import GroupOperations
from pycloud.services.iam.login import LoginOperations
from pycloud.services.iam.policies import PolicyOperations
from pycloud.services.iam.providers_idp import IdentityProviderOperations
from pycloud.services.iam.reports import ReportOperations
from pycloud.services.iam.roles import RoleOperations
from pycloud.services.iam.simulate import SimulateOperations
from pycloud.services.iam.tags import TagOperations
from pycloud.services.iam.users import UserOperations


class IamProvider(
    AccessKeyOperations,
    RoleOperations,
    DirectoryOperations,
    UserOperations,
    GroupOperations,
    PolicyOperations,
    AttachmentOperations,
    TagOperations,
    LoginOperations,
    IdentityProviderOperations,
    ReportOperations,
    SimulateOperations,
):
    """AWS Identity and Access Management."""

    service = "iam"
