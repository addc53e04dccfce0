"""Edits of real catalogue BPMN for the designer tests: insert a step, rename a process (XML, with DI)."""

from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def insert_user_task(
    data: bytes,
    flow_id: str,
    task_id: str,
    name: str,
    lane: str | None,
    properties: dict[str, str] | None = None,
) -> bytes:
    """Split sequence flow ``flow_id`` (a → b) into a → task → b, with a shape and two edges."""
    root = etree.fromstring(data)
    flow = root.find(f".//{q(BPMN, 'sequenceFlow')}[@id='{flow_id}']")
    process = flow.getparent()
    target = flow.get("targetRef")
    flow.set("targetRef", task_id)
    task = etree.Element(q(BPMN, "userTask"), id=task_id, name=name)
    if properties:
        ext = etree.SubElement(task, q(BPMN, "extensionElements"))
        props = etree.SubElement(ext, q(SPIFF, "properties"))
        for key, value in properties.items():
            etree.SubElement(props, q(SPIFF, "property"), name=key, value=value)
    etree.SubElement(task, q(BPMN, "incoming")).text = flow_id
    etree.SubElement(task, q(BPMN, "outgoing")).text = f"{flow_id}_next"
    flow.addprevious(task)
    new_flow = etree.Element(
        q(BPMN, "sequenceFlow"), id=f"{flow_id}_next", sourceRef=task_id, targetRef=target
    )
    flow.addnext(new_flow)
    target_el = process.find(f".//*[@id='{target}']")
    for incoming in target_el.findall(q(BPMN, "incoming")):
        if incoming.text == flow_id:
            incoming.text = f"{flow_id}_next"
    if lane:
        lane_el = root.find(f".//{q(BPMN, 'lane')}[@name='{lane}']")
        etree.SubElement(lane_el, q(BPMN, "flowNodeRef")).text = task_id
    edge = root.find(f".//{q(DI, 'BPMNEdge')}[@bpmnElement='{flow_id}']")
    points = edge.findall(q("http://www.omg.org/spec/DD/20100524/DI", "waypoint"))
    first, last = points[0], points[-1]
    x = (float(first.get("x")) + float(last.get("x"))) / 2 - 50
    y = (float(first.get("y")) + float(last.get("y"))) / 2 - 40
    shape = etree.Element(q(DI, "BPMNShape"), id=f"{task_id}_di", bpmnElement=task_id)
    etree.SubElement(shape, q(DC, "Bounds"), x=str(int(x)), y=str(int(y)), width="100", height="80")
    edge.addprevious(shape)
    for p in points[1:]:
        edge.remove(p)
    waypoint = q("http://www.omg.org/spec/DD/20100524/DI", "waypoint")
    etree.SubElement(edge, waypoint, x=str(int(x)), y=str(int(y + 40)))
    new_edge = etree.Element(q(DI, "BPMNEdge"), id=f"{flow_id}_next_di", bpmnElement=f"{flow_id}_next")
    etree.SubElement(new_edge, waypoint, x=str(int(x + 100)), y=str(int(y + 40)))
    etree.SubElement(new_edge, waypoint, x=last.get("x"), y=last.get("y"))
    edge.addnext(new_edge)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def remove_user_task(data: bytes, task_id: str) -> bytes:
    """Drop a user task (and its shape) and reconnect its first incoming flow to its one target.

    Other flows into it (a send-back, 退回, to this step) go with it, and so does every declaration of
    a send-back to it (``send_back_to`` and the outcome meaning ``sent_back`` become ``none``)."""
    root = etree.fromstring(data)
    task = root.find(f".//{q(BPMN, 'userTask')}[@id='{task_id}']")
    extra = [el.text for el in task.findall(q(BPMN, "incoming"))[1:]]
    for flow_id in extra:
        flow = root.find(f".//{q(BPMN, 'sequenceFlow')}[@id='{flow_id}']")
        source = root.find(f".//*[@id='{flow.get('sourceRef')}']")
        for out in source.findall(q(BPMN, "outgoing")):
            if out.text == flow_id:
                source.remove(out)
        flow.getparent().remove(flow)
        for di in list(root.iter(q(DI, "BPMNEdge"))):
            if di.get("bpmnElement") == flow_id:
                di.getparent().remove(di)
    for holder in root.iter(q(SPIFF, "properties")):
        props = {p.get("name"): p for p in holder.findall(q(SPIFF, "property"))}
        if props.get("send_back_to") is not None and props["send_back_to"].get("value") == task_id:
            holder.remove(props["send_back_to"])
            for name, prop in props.items():
                if name.startswith("outcome.") and "sent_back" in prop.get("value", ""):
                    prop.set("value", "none")
    incoming = task.find(q(BPMN, "incoming")).text
    outgoing = task.find(q(BPMN, "outgoing")).text
    out_flow = root.find(f".//{q(BPMN, 'sequenceFlow')}[@id='{outgoing}']")
    in_flow = root.find(f".//{q(BPMN, 'sequenceFlow')}[@id='{incoming}']")
    target = out_flow.get("targetRef")
    in_flow.set("targetRef", target)
    target_el = root.find(f".//*[@id='{target}']")
    for inc in target_el.findall(q(BPMN, "incoming")):
        if inc.text == outgoing:
            inc.text = incoming
    task.getparent().remove(task)
    out_flow.getparent().remove(out_flow)
    for ref in root.iter(q(BPMN, "flowNodeRef")):
        if ref.text == task_id:
            ref.getparent().remove(ref)
    for di in list(root.iter(q(DI, "BPMNShape"), q(DI, "BPMNEdge"))):
        if di.get("bpmnElement") in (task_id, outgoing):
            di.getparent().remove(di)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def set_property(data: bytes, element_id: str, name: str, value: str) -> bytes:
    root = etree.fromstring(data)
    el = root.find(f".//*[@id='{element_id}']")
    for prop in el.iter(q(SPIFF, "property")):
        if prop.get("name") == name:
            prop.set("value", value)
            break
    else:
        ext = el.find(q(BPMN, "extensionElements"))
        if ext is None:
            ext = etree.SubElement(el, q(BPMN, "extensionElements"))
            el.insert(0, ext)
        props = ext.find(q(SPIFF, "properties"))
        if props is None:
            props = etree.SubElement(ext, q(SPIFF, "properties"))
        etree.SubElement(props, q(SPIFF, "property"), name=name, value=value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
