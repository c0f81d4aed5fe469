"""Execute one notebook in a fresh kernel: parameters in, outputs deterministic, Ctrl-C safe."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

from ..run import Run
from .staging import STAGING_PREFIX

__all__ = ["CELL_TIMEOUT", "OUTPUTS_TAG", "NotebookError", "ReportInterrupted", "execute_notebook"]

CELL_TIMEOUT = 1800
#: Tag of the injected cell that carries a run's output folders (removed before writing).
OUTPUTS_TAG = "injected-outputs"


class NotebookError(RuntimeError):
    """A notebook failed; the message names the notebook and the cell."""


def _insert_after_parameters(nb: nbformat.NotebookNode, tag: str, source: str) -> None:
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        raise NotebookError("the notebook has no cell tagged 'parameters'")
    nb.cells = [c for c in nb.cells if tag not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_code_cell(source=source, metadata={"tags": [tag]})
    cell.id = tag
    nb.cells.insert(index + 1, cell)


def _inject_parameters(nb: nbformat.NotebookNode, run: Run, staging: Path | None) -> None:
    """Insert the run's parameters (non-default runs) and its output folders (always)."""
    if staging is not None:
        _insert_after_parameters(nb, OUTPUTS_TAG, f"OUTPUT_DIRS = {run.output_dirs(staging)!r}\n")
    if not run.is_default:
        _insert_after_parameters(
            nb, "injected-parameters", "# Parameters injected by the pipeline\n" + run.parameters_source()
        )


def _remove_output_dirs(nb: nbformat.NotebookNode) -> None:
    """Drop the ``injected-outputs`` cell and renumber the execution counts as if it never ran."""
    nb.cells = [c for c in nb.cells if OUTPUTS_TAG not in c.get("metadata", {}).get("tags", [])]
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.get("execution_count") is None:
            continue
        count += 1
        cell.execution_count = count
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = count


def _failing_cell(nb: nbformat.NotebookNode) -> tuple[int, str]:
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or OUTPUTS_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        code_index += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                return code_index, first[:80]
    return -1, ""


class ReportInterrupted(KeyboardInterrupt):
    """Ctrl-C during a notebook: its kernel was stopped and none of its outputs were written."""

    def __init__(self, notebook: str) -> None:
        super().__init__(notebook)
        self.notebook = notebook

    def __str__(self) -> str:
        return f"interrupted: {self.notebook}, nothing written"


def _signal_kernel(km, sig: int) -> None:
    """Send a signal to the kernel's process group (the kernel runs in a session of its own)."""
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    pgid = getattr(provisioner, "pgid", None)
    with contextlib.suppress(OSError, TypeError):
        if pgid:
            os.killpg(pgid, sig)
        elif process is not None:
            process.send_signal(sig)


def _execute_interruptibly(client: NotebookClient, km, name: str, **kernel_options) -> None:
    """Run ``client.execute()``; Ctrl-C stops the kernel and raises :class:`ReportInterrupted`.

    nbclient answers SIGINT by killing the kernel mid-message, which ends in a long traceback
    (``DeadKernelError``). Here the notebook runs in a worker thread, so Ctrl-C reaches this
    (main) thread: the running cell is interrupted in the kernel, the kernel is shut down by
    nbclient as usual, and one exception says what happened. A second Ctrl-C kills the kernel.
    """
    if threading.current_thread() is not threading.main_thread():
        client.execute(cleanup_kc=True, **kernel_options)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            client.execute(cleanup_kc=True, **kernel_options)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"notebook-{name}", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        _signal_kernel(km, signal.SIGINT)
        try:
            worker.join(60)
        except KeyboardInterrupt:
            pass
        if worker.is_alive():  # a cell that ignores SIGINT, or a second Ctrl-C
            _signal_kernel(km, signal.SIGKILL)
            worker.join(10)
        raise ReportInterrupted(name) from None
    if failure:
        raise failure[0]


def execute_notebook(
    path: Path,
    run: Run,
    *,
    cwd: Path | None = None,
    timeout: int = CELL_TIMEOUT,
    staging: Path | None = None,
    kernel_env: Mapping[str, str] | None = None,
) -> nbformat.NotebookNode:
    """Execute one notebook with the run's parameters; outputs are deterministic.

    The kernel's connection file and log go into ``staging`` (a temporary folder when not given),
    so nothing of a run is left in the temporary folder once its staging folder is removed. When
    ``staging`` is given the notebook writes its results and models there (``OUTPUT_DIRS``).
    ``kernel_env`` adds environment variables to the kernel's process only.

    Raises
    ------
    NotebookError
        ``"<notebook>: code cell N (<first line>) failed: <error>"``.
    ReportInterrupted
        On Ctrl-C.
    """
    from jupyter_client.manager import AsyncKernelManager

    nb = nbformat.read(path, as_version=4)
    _inject_parameters(nb, run, staging)
    # The kernel's connection file and its own stderr (start-up problems, shutdown chatter after
    # Ctrl-C) go to the staging folder; the log's last line is quoted if the kernel dies.
    with contextlib.ExitStack() as stack:
        folder = (
            Path(staging)
            if staging
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"{STAGING_PREFIX}{os.getpid()}-")))
        )
        km = AsyncKernelManager(kernel_name="python3", connection_file=str(folder / "kernel.json"))
        client = NotebookClient(
            nb,
            km=km,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(cwd or path.parent)}},
        )
        options = {"env": {**os.environ, **kernel_env}} if kernel_env else {}
        _run_with_log(client, km, path, folder / "kernel.log", **options)
    _remove_output_dirs(nb)
    return nb


def _run_with_log(client: NotebookClient, km, path: Path, log_path: Path, **kernel_options) -> None:
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            _execute_interruptibly(client, km, path.stem, stderr=log, **kernel_options)
    except DeadKernelError:
        tail = [line for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        raise NotebookError(f"{path.name}: the kernel died" + (f": {tail[-1][:200]}" if tail else "")) from None
    except CellExecutionError as exc:
        index, first = _failing_cell(client.nb)
        if getattr(exc, "ename", "") == "KeyboardInterrupt":
            raise ReportInterrupted(path.stem) from None
        name = getattr(exc, "ename", "error")
        value = str(getattr(exc, "evalue", "")).strip().splitlines()
        detail = f"{name}: {value[-1] if value else ''}".strip(": ")
        raise NotebookError(f"{path.name}: code cell {index} ({first}) failed: {detail}") from None
