"""The networked lab (``hops: http``): the switch and each DFSP as processes exchanging FSPIOP.

``wire`` (headers, messages, the HTTP client, waiting for callbacks), ``tls`` and ``signing``
(the security posture on each hop), ``hub`` (the switch's FSPIOP API), ``client`` and
``inbound`` (a DFSP's side), ``children`` and ``lab`` (starting it all). See docs/local-lab.md.
"""
