"""The ``faqbot`` command line (``bot.cli.main``): one module per command group."""
