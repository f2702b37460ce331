"""capex-monitor work units: plain functions usable without Prefect."""
