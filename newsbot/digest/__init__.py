"""The daily (or weekly) ``가장 많이 본 뉴스`` digest: when each chat's is due, what it
lists, and the minute tick that puts the due ones in the outbox, each exactly once.

- ``schedule``: pure date arithmetic, a chat's next digest moment in its own zone (DST
  included);
- ``content``: the articles a digest lists, chosen once per distinct variant, not per chat;
- ``tick``: the leader's one job a minute that enqueues what is due.

How a digest is rendered is each platform's business (``Outgoing.digest``).
"""
