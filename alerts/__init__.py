"""Alerts: tell the team when a sweep, a watch or a recheck finds a new copy or one that came back.

Fed by store results (the copies first seen, or moved to ``reappeared``, since a sweep started),
never by spiders directly. One alert per copy and event, remembered in the store
(``MatchStore.claim_alert``); digest mode (one message per sweep); quiet mode (remember, send
nothing: for the first sweeps of a big backlog). Channels: anything apprise speaks (email,
Slack, Microsoft Teams, Mattermost, Matrix, ...) plus a generic JSON webhook signed with HMAC.
An alert names the copy's URL, source, host, records exposed and the review link: no record ids,
no titles, no personal data. Imports ``index`` only.
"""
