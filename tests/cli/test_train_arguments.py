"""`digitpad train` refuses out-of-range arguments as a usage error, before any work."""

from __future__ import annotations

import pytest

from digitpad.__main__ import build_parser


@pytest.mark.parametrize(
    "arguments",
    [
        ["--seed", "-1"],
        ["--seed", "4294967296"],
        ["--batch-size", "9223372036854775808"],
        ["--batch-size", "65536"],  # 13 GB of memory
        ["--output", ""],  # the current folder
        ["--batch-size", "1e30"],
        ["--epochs", "1e21"],
        ["--epochs", "0"],
        ["--samples", "/nonexistent/folder"],
    ],
)
def test_out_of_range_arguments_are_usage_errors(arguments, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["train", *arguments])
    assert info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("digitpad train: error: argument")


def test_sane_arguments_are_taken(tmp_path):
    args = build_parser().parse_args(
        [
            "train",
            "--seed",
            "4294967291",
            "--epochs",
            "1000",
            "--batch-size",
            "4096",
            "--samples",
            str(tmp_path),
        ]
    )
    assert (args.seed, args.epochs, args.batch_size) == (4294967291, 1000, 4096)
