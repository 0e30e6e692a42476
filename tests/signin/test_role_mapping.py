"""Role mapping from the identity provider's groups: off by default, and when on, only the
assignments it made itself follow the groups; roles granted by hand stay."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from egenkontroll.access.models import AccessLog, RoleAssignment
from egenkontroll.signin.roles import Grant, parse_group_roles, sync_roles

TABLE = "sg-chef-e1=enhetschef@E1; sg-insp=inspektor; sg-namnd=namnd; sg-chef-e1=arbetsledare@G1"


def test_the_table_is_parsed_with_units():
    table = parse_group_roles(TABLE)
    assert table["sg-chef-e1"] == {Grant("enhetschef", "E1"), Grant("arbetsledare", "G1")}
    assert table["sg-insp"] == {Grant("inspektor", None)} and table["sg-namnd"] == {Grant("namnd", None)}


@pytest.mark.parametrize(("text", "reason"), [
    ("sg=superchef", "ogiltig rad"),
    ("enhetschef@E1", "ogiltig rad"),
    ("sg=handlaggare@G1", "handläggar-id"),
    ("sg=enhetschef", "kräver en enhet"),
])
def test_a_bad_table_is_refused_with_the_entry_named(text, reason):
    with pytest.raises(ImproperlyConfigured, match=reason):
        parse_group_roles(text)


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("sara.sso")


def roles_of(user) -> set[tuple]:
    return set(RoleAssignment.objects.filter(user=user).values_list("role", "unit_id", "created_by"))


def test_off_by_default_the_groups_change_nothing(user, settings, rf):
    settings.EGK_SSO_GROUP_ROLES = TABLE
    assert settings.EGK_SSO_ROLE_MAPPING is False
    sync_roles(rf.get("/"), user, ["sg-insp"], "oidc")
    assert roles_of(user) == set() and not AccessLog.objects.exists()


def test_on_the_mapped_roles_follow_the_groups_and_hand_granted_roles_stay(user, settings, rf):
    settings.EGK_SSO_ROLE_MAPPING, settings.EGK_SSO_GROUP_ROLES = True, TABLE
    RoleAssignment.objects.create(user=user, role="verksamhetscontroller", unit_id="A1", created_by="admin")
    sync_roles(rf.get("/"), user, ["sg-chef-e1", "okand-grupp"], "saml")
    assert roles_of(user) == {("verksamhetscontroller", "A1", "admin"), ("enhetschef", "E1", "idp-grupp"),
                              ("arbetsledare", "G1", "idp-grupp")}
    sync_roles(rf.get("/"), user, "sg-insp", "saml")  # one group as a plain string
    assert roles_of(user) == {("verksamhetscontroller", "A1", "admin"), ("inspektor", None, "idp-grupp")}
    details = list(AccessLog.objects.order_by("seq").values_list("detail", flat=True))
    assert details == [
        "rollmappning (saml): gav arbetsledare för G1", "rollmappning (saml): gav enhetschef för E1",
        "rollmappning (saml): tog bort arbetsledare för G1", "rollmappning (saml): tog bort enhetschef för E1",
        "rollmappning (saml): gav inspektor för hela staden",
    ]


def test_a_broken_table_is_a_start_up_error(settings):
    from egenkontroll.signin.checks import role_mapping_table

    settings.EGK_SSO_ROLE_MAPPING, settings.EGK_SSO_GROUP_ROLES = True, "sg=enhetschef"
    assert [e.id for e in role_mapping_table(None)] == ["egenkontroll.E010"]
    settings.EGK_SSO_GROUP_ROLES = TABLE
    assert role_mapping_table(None) == []
    settings.EGK_SSO_ROLE_MAPPING = False
    settings.EGK_SSO_GROUP_ROLES = "sg=enhetschef"
    assert role_mapping_table(None) == []  # off: the table is not used
