"""An in-memory StepOutput for the built-in actions' tests (actions, delivery)."""

from __future__ import annotations

from dataclasses import dataclass, field

from conveyor.engine.ports import CommandAnnotation


@dataclass
class Recorder:
    """An in-memory StepOutput."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    annotations: list[CommandAnnotation] = field(default_factory=list)

    def line(self, text: str, stream: str = "stdout") -> None:
        self.lines.append((stream, text))

    def annotation(self, annotation: CommandAnnotation) -> None:
        self.annotations.append(annotation)

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.lines)
