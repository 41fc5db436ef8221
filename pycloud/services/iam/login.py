"""Console passwords: login profiles, the account password policy and ChangePassword."""

from __future__ import annotations

import hashlib
import secrets
import string
from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.iam import errors
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.models import LoginProfile

_POLICY_DEFAULTS: dict[str, Any] = {
    "MinimumPasswordLength": 8, "RequireSymbols": False, "RequireNumbers": False,
    "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False, "AllowUsersToChangePassword": False,
    "HardExpiry": False,
}
_SYMBOLS = set("!@#$%^&*()_+-=[]{}|'")


def _classes(password: str) -> dict[str, bool]:
    return {
        "RequireSymbols": any(c in _SYMBOLS or not c.isalnum() for c in password),
        "RequireNumbers": any(c in string.digits for c in password),
        "RequireUppercaseCharacters": any(c.isupper() for c in password),
        "RequireLowercaseCharacters": any(c.islower() for c in password),
    }


def check_password(password: str, policy: dict[str, Any] | None) -> None:
    """PasswordPolicyViolation unless ``password`` meets ``policy`` (AWS's default policy when None:
    8 characters and three of upper case, lower case, digits and symbols)."""
    found = _classes(password)
    if policy is None:
        if len(password) < 8 or sum(found.values()) < 3:
            raise errors.password_violation(
                "Password should have a minimum length of 8 and contain at least three of: upper case letters, "
                "lower case letters, numbers and non-alphanumeric characters.")
        return
    problems = []
    if len(password) < policy.get("MinimumPasswordLength", 8):
        problems.append(f"a minimum length of {policy.get('MinimumPasswordLength', 8)}")
    wording = {"RequireSymbols": "at least one symbol", "RequireNumbers": "at least one number",
               "RequireUppercaseCharacters": "at least one uppercase letter",
               "RequireLowercaseCharacters": "at least one lowercase letter"}
    problems += [text for key, text in wording.items() if policy.get(key) and not found[key]]
    if problems:
        raise errors.password_violation("Password should have " + ", ".join(problems) + ".")


def _hash(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()


def _profile_shape(name: str, profile: LoginProfile) -> dict[str, Any]:
    return {"UserName": name, "CreateDate": profile.created, "PasswordResetRequired": profile.reset_required}


class LoginOperations(IamBase):
    """Login profiles and the password policy."""

    def _password_policy(self, account: str) -> dict[str, Any] | None:
        return self._settings(account).password_policy

    def _login(self, account: str, user_name: str) -> tuple[Any, LoginProfile]:
        user = self._user(account, user_name)
        profile = self.tables.logins.get(account, G, user.name.lower())
        if profile is None:
            raise errors.no_such_entity(f"Login Profile for User {user.name} cannot be found.")
        return user, profile

    def create_login_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        name = params.get("UserName") or (ctx.principal.arn.rsplit("/", 1)[-1] if ctx.principal.kind == "user" else "")
        if not name:
            raise errors.validation("Must specify userName when calling with non-User credentials")
        with self._lock:
            user = self._user(account, name)
            if self.tables.logins.get(account, G, user.name.lower()) is not None:
                raise errors.already_exists(f"Login Profile for user {user.name} already exists.")
            password = params.get("Password") or ""
            check_password(password, self._password_policy(account))
            salt = secrets.token_hex(8)
            profile = LoginProfile(user.name.lower(), _hash(password, salt), salt, self._now(ctx),
                                   bool(params.get("PasswordResetRequired")))
            self.tables.logins.put(account, G, user.name.lower(), profile)
        return {"LoginProfile": _profile_shape(user.name, profile)}

    def get_login_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        user, profile = self._login(ctx.account_id, params.get("UserName") or ctx.principal.arn.rsplit("/", 1)[-1])
        return {"LoginProfile": _profile_shape(user.name, profile)}

    def update_login_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            user, profile = self._login(account, params["UserName"])
            if params.get("Password") is not None:
                check_password(params["Password"], self._password_policy(account))
                profile.password_hash = _hash(params["Password"], profile.salt)
            if params.get("PasswordResetRequired") is not None:
                profile.reset_required = params["PasswordResetRequired"]
            self.tables.logins.put(account, G, user.name.lower(), profile)
        return {}

    def delete_login_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user, _ = self._login(ctx.account_id, params.get("UserName") or ctx.principal.arn.rsplit("/", 1)[-1])
            self.tables.logins.delete(ctx.account_id, G, user.name.lower())
        return {}

    def change_password(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The calling IAM user changes its own console password."""
        if ctx.principal.kind != "user" or ctx.principal.session is not None:
            raise ServiceError("InvalidUserType", "Only IAM users can change their password with this operation.",
                               400)
        account = ctx.account_id
        with self._lock:
            user, profile = self._login(account, ctx.principal.arn.rsplit("/", 1)[-1])
            if _hash(params["OldPassword"], profile.salt) != profile.password_hash:
                raise errors.invalid_input("The old password is incorrect.")
            check_password(params["NewPassword"], self._password_policy(account))
            profile.password_hash = _hash(params["NewPassword"], profile.salt)
            profile.reset_required = False
            self.tables.logins.put(account, G, user.name.lower(), profile)
        return {}

    # -- the account password policy --------------------------------------------------------------

    def update_account_password_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        policy = {**_POLICY_DEFAULTS, **{k: v for k, v in params.items() if v is not None}}
        with self._lock:
            settings = self._settings(ctx.account_id)
            settings.password_policy = policy
            self._put_settings(ctx.account_id, settings)
        return {}

    def get_account_password_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        policy = self._password_policy(ctx.account_id)
        if policy is None:
            raise errors.no_such_entity(f"The Password Policy with domain name {ctx.account_id} cannot be found.")
        out = dict(policy)
        out["ExpirePasswords"] = bool(policy.get("MaxPasswordAge"))
        return {"PasswordPolicy": out}

    def delete_account_password_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            settings = self._settings(ctx.account_id)
            if settings.password_policy is None:
                raise errors.no_such_entity(f"The account policy with name {ctx.account_id} cannot be found.")
            settings.password_policy = None
            self._put_settings(ctx.account_id, settings)
        return {}
