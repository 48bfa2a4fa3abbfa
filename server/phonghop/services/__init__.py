"""Use cases. Each takes a unit of work and an :class:`~phonghop.domain.permissions.Actor`,
checks permissions, changes state through the session, appends meeting events, and
never commits: the caller's unit of work does, then publishes the events.
"""
