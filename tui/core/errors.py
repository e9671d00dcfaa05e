"""The one exception type the core raises for anything a user did or gave it, and the one for an environment it
cannot run in."""


class PhotometryError(ValueError):
    """Bad input: the message is written for the user, and the session is unchanged."""


class MissingDependency(ImportError):
    """A library the core needs is too old (installed by other means than pip): the message says which, and how to
    get a new one. The command line and the app tell it by `for_the_user` (they cannot import this module when the
    core fails to import)."""

    for_the_user = True
