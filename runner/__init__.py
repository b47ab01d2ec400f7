"""Salon client reactivation: the runner that sits after the dbt build."""
