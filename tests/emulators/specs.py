"""The official API specifications the emulators validate against, kept in the project
(`tests/emulators/specs/`, each with its licence and source) so a clone anywhere can test."""

from __future__ import annotations

from pathlib import Path

SPECS = Path(__file__).resolve().parent / "specs"
