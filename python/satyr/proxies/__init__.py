"""Python proxies of the Mesos messages (see :mod:`satyr.proxies.messages`)."""
