"""capex-monitor Prefect flows and the `capex` command."""
