"""The one exception a user can act on: shown as one line, never as a traceback."""


class UserError(Exception):
    """A problem in the user's input or environment, with a message that says what to do.

    `exit_code` lets a stage tell apart a bad input (2) from a verdict such as failed
    thresholds (1).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
