"""One host's mail: what its SMTP service accepts for a local mailbox is what its POP3 service
serves.

A host running both services is a mail server: a message SMTP delivers to ``user@domain`` (or
to ``user``) lands in the POP3 maildrop of the account with that name - the full address or its
local part, compared without case - so a module can send a mail and fetch it back. Recipients
without a POP3 account stay in SMTP's store only (inspection shows them there).
"""

from __future__ import annotations

from typing import Any

from simnet.servers.pop3_engine import Maildrop
from simnet.servers.smtp_engine import StoredMessage


class HostMail:
    """The shared store of one host: SMTP deliveries fan out to the POP3 maildrops."""

    def __init__(self) -> None:
        self.maildrops: list[Maildrop] = []
        self.delivered: list[StoredMessage] = []

    def add_maildrop(self, maildrop: Maildrop) -> None:
        """A POP3 service attached: it gets what SMTP delivered already (services may start in
        any order)."""
        if any(m is maildrop for m in self.maildrops):
            return
        self.maildrops.append(maildrop)
        for message in self.delivered:
            self._drop(maildrop, message)

    def deliver(self, message: StoredMessage) -> None:
        self.delivered.append(message)
        for maildrop in self.maildrops:
            self._drop(maildrop, message)

    @staticmethod
    def _drop(maildrop: Maildrop, message: StoredMessage) -> None:
        for rcpt in dict.fromkeys(r.lower() for r in message.recipients):
            user = maildrop.user_for(rcpt)
            if user is not None:
                maildrop.add(user, message.raw, origin="smtp")


def host_mail(host: Any) -> HostMail:
    """The shared mail store of ``host`` (a :class:`simnet.net.Host`), made on first use and
    kept with the host (``Host.attachments``)."""
    store = host.attachments.get("mail")
    if store is None:
        store = host.attachments["mail"] = HostMail()
    return store
