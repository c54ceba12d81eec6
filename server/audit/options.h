// Options of the audit trail (server/audit/audit.h).
#ifndef SERVER_AUDIT_OPTIONS_H_
#define SERVER_AUDIT_OPTIONS_H_

#include <string>

namespace gateway::audit {

struct AuditOptions {
  // Where records go: "-" is standard output (the default), anything else a file opened
  // for appending. Read at start.
  std::string path = "-";
};

}  // namespace gateway::audit

#endif  // SERVER_AUDIT_OPTIONS_H_
