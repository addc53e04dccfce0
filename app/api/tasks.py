from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.common import current_actor, load_body
from app.api.schemas import DataBody, TaskOut
from app.routing import MAX_OFFSET, query_int
from app.services import tasks as task_service

_TASK_OUT = TaskOut()  # schema instances are reusable and costly to build


def task_document(row, form=None) -> dict:
    """TaskDetail: the task (with its step clock), its form and the data it was completed with."""
    out = _TASK_OUT.dump(row)
    out.update(form=form or {}, data=row.data)
    return out


@bp.get("/tasks")
def tasks_index():
    """The actor's inbox: tasks assigned to them or claimable by their role in their department.
    ---
    get:
      tags: [tasks]
      parameters:
        - {in: query, name: limit, schema: {type: integer, default: 50, minimum: 1, maximum: 500}}
        - {in: query, name: offset, schema: {type: integer, default: 0, minimum: 0, maximum: 1000000000}}
      responses:
        200: {content: {application/json: {schema: {type: object, properties: {tasks: {type: array, items: TaskOut}}}}}}
    """
    actor = current_actor()
    limit = query_int("limit", 50, minimum=1, maximum=500)
    offset = query_int("offset", 0, minimum=0, maximum=MAX_OFFSET)
    rows = task_service.list_inbox(actor, limit=limit, offset=offset)
    return jsonify({"tasks": [task_document(r) for r in rows]})


@bp.get("/tasks/<id:task_id>")
def tasks_show(task_id: int):
    """One task with its form (JSON Schema and UI hints).
    ---
    get:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: TaskDetail}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    row, form = task_service.get_task(actor, task_id)
    return jsonify(task_document(row, form))


@bp.post("/tasks/<id:task_id>/claim")
def tasks_claim(task_id: int):
    """Claim a task of my group.
    ---
    post:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: TaskOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(task_document(task_service.claim_task(current_actor(), task_id)))


@bp.post("/tasks/<id:task_id>/release")
def tasks_release(task_id: int):
    """Give a claimed task back to the group.
    ---
    post:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: TaskOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(task_document(task_service.release_task(current_actor(), task_id)))


@bp.post("/tasks/<id:task_id>/complete")
def tasks_complete(task_id: int):
    """Complete a task with its form data (validated against the form's JSON Schema).
    ---
    post:
      tags: [tasks]
      parameters: [{in: path, name: task_id, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: DataBody}}}
      responses:
        200: {content: {application/json: {schema: TaskOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(DataBody())
    row = task_service.complete_task(actor, task_id, body["data"])
    return jsonify(task_document(row))
