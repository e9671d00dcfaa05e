"""The one exception type the core raises for anything a user did or gave it."""


class PhotometryError(ValueError):
    """Bad input: the message is written for the user, and the session is unchanged."""
