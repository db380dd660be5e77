"""The ``shoal`` console script: replace this process with the native shell."""

import os
import sys


def shell_path() -> str:
    """Return the path of the bundled ``shoal-shell`` executable."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "shoal-shell")


def main() -> None:
    path = shell_path()
    if not os.access(path, os.X_OK):
        sys.stderr.write(f"Error: the Shoal shell binary is missing at {path}\n")
        sys.exit(1)
    os.execv(path, ["shoal"] + sys.argv[1:])


if __name__ == "__main__":
    main()
