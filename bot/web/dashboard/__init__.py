"""The maintainers' dashboard: view models, one data builder per page, pages and JSON API."""
