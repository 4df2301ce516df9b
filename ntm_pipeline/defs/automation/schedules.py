"""Close each quarter once the communes' reporting deadline has passed."""

import os

import dagster as dg

from ntm_pipeline.defs.automation import jobs
from ntm_pipeline.partitions import shift_period

DEFAULT_DEADLINE_DAY = 20  # reports are due by the 20th day after the quarter ends


def deadline_day() -> int:
    """Day of the month after quarter end on which the quarter closes (NTM_REPORTING_DEADLINE_DAY)."""
    day = int(os.environ.get("NTM_REPORTING_DEADLINE_DAY", DEFAULT_DEADLINE_DAY))
    if not 1 <= day <= 28:
        raise ValueError(f"NTM_REPORTING_DEADLINE_DAY must be 1-28, not {day}")
    return day


def quarter_just_closed(when) -> str:
    """The quarter that ended before `when`: 2024-Q1 for any day of April 2024."""
    current = f"{when.year}-Q{(when.month - 1) // 3 + 1}"
    return shift_period(current, -1)


@dg.schedule(
    job=jobs.quarter_job,
    cron_schedule=f"0 6 {deadline_day()} 1,4,7,10 *",
    execution_timezone="Asia/Ho_Chi_Minh",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="On the reporting deadline after each quarter (the 20th of January, April, July and "
    "October at 06:00 Vietnam time; NTM_REPORTING_DEADLINE_DAY moves the day), runs quarter_job for "
    "the quarter just closed, so files that came late are in before the report.",
)
def close_quarter(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """On the reporting deadline after each quarter (by default the 20th of January, April,
    July and October, 06:00 Vietnam time), materialises the quarter just closed, so late
    files that did not start a run of their own are in before the report is written."""
    period = quarter_just_closed(context.scheduled_execution_time)
    return dg.RunRequest(run_key=f"close-{period}", partition_key=period, tags={"ntm/closing": period})
