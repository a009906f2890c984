"""Cadence: the network's sprint calendar, the cadence guardrails and the guide's team
metrics per sprint (SPEC R69-R71): pages, forms and API."""
