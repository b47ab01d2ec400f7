"""The two kinds of failure the CLI maps to exit codes.

`ConfigurationError` means the operator has to change something before the command can work
(exit 2); `JobFailed` means the command ran and its job did not succeed (exit 1).
"""


class ConfigurationError(Exception):
    """A setting is missing, malformed, or points at a service we cannot reach."""


class JobFailed(Exception):
    """The command was configured correctly but its work failed."""


def first_line(error: BaseException) -> str:
    """An error's message cut to its first line (a driver's can run to several), or its type."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
