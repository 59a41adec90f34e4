from enum import StrEnum


class IdentityError(StrEnum):
    USERNAME_TAKEN = "identity.username_taken"
    INVALID_USERNAME = "identity.invalid_username"
    WEAK_PASSWORD = "identity.weak_password"
    BAD_CREDENTIALS = "identity.bad_credentials"
    INVALID_TOKEN = "identity.invalid_token"
    USER_NOT_FOUND = "identity.user_not_found"
    INVALID_ROLES = "identity.invalid_roles"
