"""One real adapter per outside service (ports in runner.ports), built in runner.composition."""
