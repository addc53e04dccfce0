"""一件事 (joint items): one application, one window, several departments in parallel, one 45-WD clock.

A joint item (item.yaml ``joint.components``) is filed once at a comprehensive window (综合窗口). That
files a MASTER case of the joint item (its own small BPMN: acceptance at the window, the wait for the
components, one collection) and, in the same transaction, one COMPONENT case per component item
(``Case.parent_case_id``), each running its department's own process, forms, roles, step limits and
clocks. The master ties them together:

- materials are filed once under the joint item's codes; each component gets a row for each material
  it needs (same content hash: the bytes are stored once, 共享一次);
- each department checks its part (its own ``accept`` step); correction requests are merged into ONE
  notice on the master (一次性告知) once every component has answered, and the applicant's supplement
  goes back only to the components that asked;
- the window accepts the master (统一受理) once every component has accepted: the 45-WD statutory
  clock of the master starts (《行政许可法》第四十二条第二款), its extension (≤ 15 WD) is approved by the
  head of the level of government — the ``head`` role on the service centre, not a department head;
- when the last component has ended, the master stops its clock and opens ``collect``: everything is
  handed over at the window at once (统一窗口出件), one delivery record.

Master and component steps that belong together commit together (``advance.step_case``).
"""

from app.services.joint.capabilities import (
    on_accepted,
    on_component_answered,
    on_component_completed,
    on_master_ended,
    subscribe,
)
from app.services.joint.filing import file_joint_application
from app.services.joint.public import applicant_case, lookup_progress
from app.services.joint.spec import (
    APPLICANT_FIELDS,
    MESSAGE,
    component_summary,
    components_of,
    is_closed,
    is_master,
    joint_spec,
    master_of,
    material_map,
    to_joint,
)
from app.services.joint.window import (
    approve_joint_extension,
    collect_joint,
    request_joint_extension,
    submit_joint_supplement,
)

__all__ = [
    "APPLICANT_FIELDS",
    "applicant_case",
    "lookup_progress",
    "MESSAGE",
    "approve_joint_extension",
    "collect_joint",
    "component_summary",
    "components_of",
    "file_joint_application",
    "is_closed",
    "is_master",
    "joint_spec",
    "master_of",
    "material_map",
    "on_accepted",
    "on_component_answered",
    "on_component_completed",
    "on_master_ended",
    "request_joint_extension",
    "submit_joint_supplement",
    "subscribe",
    "to_joint",
]
