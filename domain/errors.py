"""The project's errors.

IncidentPipelineError
 ├── DomainError                 an action the incident's rules refuse
 │    ├── IllegalTransition      the status does not allow it (ack after resolve, resolve twice)
 │    ├── UnknownResponder       the responder is not in the catalog
 │    ├── InvalidAction          the request itself makes no sense (escalate past the end, same priority)
 │    └── LimitReached           the incident's size budget refuses more (notes past their bound)
 ├── LinkError                   a one-click link from a notification is refused
 │    ├── InvalidLink            malformed, or its signature does not match (tampered, or another secret)
 │    └── ExpiredLink            signed by us, but past its expiry
 ├── ConfigError                 the catalog or settings are wrong; names the file and the path inside it
 │    └── EncryptionError        an encryption key is malformed, unknown or wrong for a payload; names the key id
 ├── IncidentNotFound            no incident has that id
 ├── ActionRefused               the incident refused an update; carries the workflow's reason
 ├── TemporalUnavailable         the Temporal server could not be reached
 └── ArchiveError                the incident archive (the database of closed incidents) refused or failed
      ├── ArchiveUnavailable     its database could not be reached
      ├── ArchiveOutdated        its schema is missing or not this version's: run ``incidents archive upgrade``
      ├── InvalidRecord          a file to import is not an incident record; names the file
      └── InvalidCursor          a page cursor the archive did not hand out
"""

from __future__ import annotations


class IncidentPipelineError(Exception):
    """Base of every error the project raises on purpose."""


class DomainError(IncidentPipelineError):
    code = "DomainError"


class IllegalTransition(DomainError):
    code = "IllegalTransition"


class UnknownResponder(DomainError):
    code = "UnknownResponder"


class InvalidAction(DomainError):
    code = "InvalidAction"


class LimitReached(DomainError):
    """The incident keeps no more of this (``domain.incident.budget``); the message names the bound."""

    code = "LimitReached"


class LinkError(IncidentPipelineError):
    """A signed acknowledge/resolve link was refused; the message says why and is safe to show."""

    code = "LinkError"


class InvalidLink(LinkError):
    code = "InvalidLink"


class ExpiredLink(LinkError):
    code = "ExpiredLink"


class ConfigError(IncidentPipelineError):
    pass


class EncryptionError(ConfigError):
    """A payload cannot be encrypted or decrypted with the configured keys; the message names the key id."""


class IncidentNotFound(IncidentPipelineError):
    """No incident has that id."""


class ActionRefused(IncidentPipelineError):
    """The incident refused an action (its reason comes from the workflow's validator)."""


class TemporalUnavailable(IncidentPipelineError):
    """The Temporal server could not be reached."""


class ArchiveError(IncidentPipelineError):
    """The incident archive refused or failed; the message is one line and never shows a password."""


class ArchiveUnavailable(ArchiveError):
    """The archive's database could not be reached (or answered with an operational error)."""


class ArchiveOutdated(ArchiveError):
    """The archive's database has no schema yet, or another version's: the message says to run the migration."""


class InvalidRecord(ArchiveError):
    """A file given to ``incidents archive import`` is not an incident record; the message names it."""


class InvalidCursor(ArchiveError):
    """A ``next`` cursor that this archive did not hand out."""
