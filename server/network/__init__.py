"""The network: its page, which teams an SoS serves, escalation between forums."""
