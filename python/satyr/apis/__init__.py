"""The standard library's interfaces on Mesos: :mod:`satyr.apis.futures`
(``concurrent.futures``) and :mod:`satyr.apis.multiprocessing` (``multiprocessing.Pool``)."""
