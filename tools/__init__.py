"""Tools for developers and operators, run from the repository; nothing here ships to Lambda."""
