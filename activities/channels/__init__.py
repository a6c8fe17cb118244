"""Notification channels, one module each, all behind the one small ``Channel`` interface in ``base``.

``log`` writes to the worker's log, ``webhook`` POSTs signed JSON, ``slack`` posts to a Slack-compatible incoming
webhook, ``email`` sends over SMTP. ``http`` maps every HTTP answer to a result or a typed error in one place.
"""
