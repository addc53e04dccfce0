// The spiffworkflow extension elements the platform reads (properties, messageVariable, the decision a
// business rule task calls), as a moddle
// descriptor for bpmn-js, so the modeler keeps them typed and writes them back unchanged.
(function () {
  "use strict";
  window.TongbanSpiffModdle = {
    name: "SpiffWorkflow",
    prefix: "spiffworkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      {
        name: "Properties",
        superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }],
      },
      {
        name: "Property",
        superClass: ["Element"],
        properties: [
          { name: "name", type: "String", isAttr: true },
          { name: "value", type: "String", isAttr: true },
        ],
      },
      {
        name: "MessageVariable",
        superClass: ["Element"],
        properties: [{ name: "value", type: "String", isBody: true }],
      },
      {
        name: "CalledDecisionId",
        superClass: ["Element"],
        properties: [{ name: "value", type: "String", isBody: true }],
      },
    ],
  };
})();
