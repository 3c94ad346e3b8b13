"""Operators' alerts: what is wrong with the running bot, told once to an admin chat.

The newsroom needs to hear that a feed stopped, that sends are failing, that chats are
leaving in bulk, that the leader changed, that the digest tick stopped, that a platform or
the store went away, and when each of these ends. Each alert has a key; what an alert has
already said is kept in the store (``newsbot.store.alerts``), so an outage sends a started
and a resolved message, a repeat at most once per NEWSBOT_ALERT_REPEAT, and all alerts
together at most NEWSBOT_ALERT_PER_HOUR starts and repeats an hour, however many checks,
processes or restarts see it.

    checks      pure functions: readings in, the alerts firing now out
    readings    the store's side of the checks (queries)
    ledger      the dedupe and the hourly cap: alerts in, messages queued
    sender      the queued messages to the alert chat, paced, through the platform's breaker
    watch       what the service runs: the leader's minute, process signals, the send loop
"""
