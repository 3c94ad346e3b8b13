"""How updates reach the bot: long polling with getUpdates (offset, limit, timeout), or a
webhook set with setWebhook and removed with deleteWebhook, reported by getWebhookInfo.
getUpdates while a webhook is set is a 409, as on Telegram."""

from __future__ import annotations

import asyncio

from aiohttp import web

from tests.fakes.telegram_api.state import TelegramState
from tests.fakes.telegram_api.wire import Json, decoded, error, ok


class GettingUpdatesMethods(TelegramState):
    async def _get_updates(self, fields: dict[str, str]) -> web.StreamResponse:
        if self.webhook_url:
            return error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in fields:
            self.allowed_updates = decoded(fields["allowed_updates"])
        offset = int(fields.get("offset") or 0)
        limit = min(max(int(fields.get("limit") or 100), 1), 100)
        timeout = max(float(fields.get("timeout") or 0), 0.0)
        if offset > 0:  # updates below the offset are confirmed: gone for good
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:  # the last -offset updates; all earlier ones are forgotten
            self._updates = self._updates[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._polls += 1
        self._touch()
        try:
            while not self._updates and (remaining := deadline - loop.time()) > 0:
                changed = self._changed
                try:
                    await asyncio.wait_for(changed.wait(), remaining)
                except TimeoutError:
                    break
        finally:
            self._polls -= 1
        return ok(self._updates[:limit])

    def _drop_pending(self, fields: dict[str, str]) -> None:
        if fields.get("drop_pending_updates") == "true":
            self._updates.clear()

    def _set_webhook(self, fields: dict[str, str]) -> web.Response:
        self._drop_pending(fields)
        self.webhook_url = fields.get("url", "")
        self.webhook_secret = fields.get("secret_token") or None
        if "allowed_updates" in fields:
            self.allowed_updates = decoded(fields["allowed_updates"])
        return ok(True)

    def _delete_webhook(self, fields: dict[str, str]) -> web.Response:
        self._drop_pending(fields)
        self.webhook_url, self.webhook_secret = "", None
        return ok(True)

    def _webhook_info(self, fields: dict[str, str]) -> web.Response:
        info: Json = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.allowed_updates is not None:
            info["allowed_updates"] = self.allowed_updates
        return ok(info)
