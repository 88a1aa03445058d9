"""simnet_sweep: the test's scenario over parameter values and seeds, as a DataFrame."""

from __future__ import annotations

import pytest


@pytest.mark.simnet(example="quickstart")
def test_the_quickstart_survives_two_percent_loss(simnet_sweep):
    df = simnet_sweep(grid={"network.link.loss": ["0%", "2%"]}, seeds="1-3",
                      metrics={"connect": 'between("AT+CIPOPEN", "+CIPOPEN: 0,0")'})
    assert len(df) == 6 and df["passed"].all()
    lossless = df[df["network.link.loss"] == 0]["connect"]
    # SYN and SYN-ACK over the 300 ms +-50 ms radio link (both ways) and 10 ms to the server
    assert ((lossless > 2 * 0.25) & (lossless < 2 * 0.35 + 0.1)).all()
