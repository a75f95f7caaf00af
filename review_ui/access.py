"""Roles and what each may do.

Every route declares one :class:`Permission` through :func:`require`; the role-matrix test
enumerates all routes and fails for any route without one, so access is never decided by
forgetting. Roles are not a ladder: an investigator does not triage and an analyst does
not export cases; the admin may do everything.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    analyst = "analyst"
    investigator = "investigator"
    maintainer = "maintainer"
    admin = "admin"


class Permission(StrEnum):
    public = "public"  # no login: the login page, health check
    read = "read"  # records, search, pivots, trends
    triage = "triage"  # queue, claims, decisions, notes, bulk decisions
    investigate = "investigate"  # cases and their exports
    maintain = "maintain"  # reviewer agreement, model quality, training data, models
    administer = "administer"  # accounts and the audit log


ALL_ROLES = frozenset(Role)

ROLES_FOR: dict[Permission, frozenset[Role]] = {
    Permission.public: ALL_ROLES,
    Permission.read: ALL_ROLES,
    Permission.triage: frozenset({Role.analyst, Role.maintainer, Role.admin}),
    Permission.investigate: frozenset({Role.investigator, Role.admin}),
    Permission.maintain: frozenset({Role.maintainer, Role.admin}),
    Permission.administer: frozenset({Role.admin}),
}


def allows(role: str, permission: Permission) -> bool:
    return permission is Permission.public or role in ROLES_FOR[permission]
