"""`python -m bot` runs the same CLI as the `remediation-bot` console script."""

from bot.cli import main

main()
