// admin_store::transaction: the scope of one admin change, over whichever store is in use.
#include "runtime/admin_store.hpp"

namespace switchyard::runtime {

admin_store::transaction::transaction(admin_store& store) : store_(store) {
  open_ = store_.begin_transaction(begin_error_);
}

admin_store::transaction::~transaction() {
  if (open_) store_.rollback_transaction();
}

bool admin_store::transaction::started(std::string& error) const {
  if (!open_) error = begin_error_;
  return open_;
}

bool admin_store::transaction::commit(std::string& error) {
  if (!open_) {
    error = begin_error_.empty() ? "no transaction" : begin_error_;
    return false;
  }
  if (!store_.commit_transaction(error)) return false;  // the destructor rolls back
  open_ = false;
  return true;
}

}  // namespace switchyard::runtime
