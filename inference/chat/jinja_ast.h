#pragma once
// Syntax tree of a parsed Jinja template. Every node keeps the line:column it came from so that runtime
// errors can point into the template.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inference/chat/jinja_value.h"

namespace glasswing::chat::jinja {

struct Node {
  int line = 0;
  int column = 0;
  virtual ~Node() = default;
};

// ---- expressions ----

enum class ExprKind {
  Literal,
  Name,
  List,
  Tuple,
  Dict,
  GetAttr,
  GetItem,
  Slice,
  Call,
  Filter,
  Test,
  Unary,
  Binary,
  Compare,
  Cond,
};

struct Expr : Node {
  explicit Expr(ExprKind k) : kind(k) {}
  ExprKind kind;
};
using ExprPtr = std::unique_ptr<Expr>;

struct LiteralExpr : Expr {
  LiteralExpr() : Expr(ExprKind::Literal) {}
  Value value;  // immutable literals only (none, bool, numbers, strings)
};

struct NameExpr : Expr {
  NameExpr() : Expr(ExprKind::Name) {}
  std::string name;
};

struct ListExpr : Expr {  // also tuples (kind Tuple)
  explicit ListExpr(ExprKind k = ExprKind::List) : Expr(k) {}
  std::vector<ExprPtr> items;
};

struct DictExpr : Expr {
  DictExpr() : Expr(ExprKind::Dict) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
};

struct GetAttrExpr : Expr {
  GetAttrExpr() : Expr(ExprKind::GetAttr) {}
  ExprPtr object;
  std::string name;
};

struct GetItemExpr : Expr {
  GetItemExpr() : Expr(ExprKind::GetItem) {}
  ExprPtr object, index;
};

struct SliceExpr : Expr {
  SliceExpr() : Expr(ExprKind::Slice) {}
  ExprPtr object, start, stop, step;  // any of start/stop/step may be null
};

struct Arguments {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> named;
};

struct CallExpr : Expr {
  CallExpr() : Expr(ExprKind::Call) {}
  ExprPtr callee;
  Arguments args;
};

struct FilterExpr : Expr {  // operand | name(args); operand is null inside {% filter %} blocks
  FilterExpr() : Expr(ExprKind::Filter) {}
  ExprPtr operand;
  std::string name;
  Arguments args;
};

struct TestExpr : Expr {  // operand is [not] name(args)
  TestExpr() : Expr(ExprKind::Test) {}
  ExprPtr operand;
  std::string name;
  Arguments args;
  bool negated = false;
};

struct UnaryExpr : Expr {  // not, -, +
  UnaryExpr() : Expr(ExprKind::Unary) {}
  std::string op;
  ExprPtr operand;
};

struct BinaryExpr : Expr {  // + - * / // % ** ~ and or
  BinaryExpr() : Expr(ExprKind::Binary) {}
  std::string op;
  ExprPtr left, right;
};

struct CompareExpr : Expr {  // a < b <= c, a in b, a not in b, ==, !=
  CompareExpr() : Expr(ExprKind::Compare) {}
  ExprPtr first;
  std::vector<std::pair<std::string, ExprPtr>> rest;
};

struct CondExpr : Expr {  // then if cond else otherwise
  CondExpr() : Expr(ExprKind::Cond) {}
  ExprPtr cond, then, otherwise;  // otherwise may be null (Undefined)
};

// ---- statements ----

enum class StmtKind {
  Text,
  Output,
  If,
  For,
  Set,
  SetBlock,
  Macro,
  CallBlock,
  FilterBlock,
  Break,
  Continue,
  With,
  Do
};

struct Stmt : Node {
  explicit Stmt(StmtKind k) : kind(k) {}
  StmtKind kind;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct TextStmt : Stmt {
  TextStmt() : Stmt(StmtKind::Text) {}
  std::string text;
};

struct OutputStmt : Stmt {
  OutputStmt() : Stmt(StmtKind::Output) {}
  ExprPtr expr;
};

struct IfStmt : Stmt {
  IfStmt() : Stmt(StmtKind::If) {}
  std::vector<std::pair<ExprPtr, Body>> branches;  // if, elif...
  Body otherwise;
};

struct ForStmt : Stmt {
  ForStmt() : Stmt(StmtKind::For) {}
  std::vector<std::string> targets;  // one name, or several to unpack
  ExprPtr iterable, filter;          // filter may be null
  Body body, otherwise;
  bool recursive = false;
};

// Assignment target: a name, names to unpack (a, b = ...), or namespace attribute (ns.attr = ...).
struct SetTarget {
  std::vector<std::string> names;
  std::string attribute;  // non-empty: names[0].attribute
};

struct SetStmt : Stmt {
  SetStmt() : Stmt(StmtKind::Set) {}
  SetTarget target;
  ExprPtr value;
};

struct SetBlockStmt : Stmt {
  SetBlockStmt() : Stmt(StmtKind::SetBlock) {}
  SetTarget target;
  std::vector<std::unique_ptr<FilterExpr>> filters;  // {% set x | trim %}
  Body body;
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct MacroStmt : Stmt {
  MacroStmt() : Stmt(StmtKind::Macro) {}
  std::string name;
  std::vector<MacroParam> params;
  Body body;
};

struct CallBlockStmt : Stmt {
  CallBlockStmt() : Stmt(StmtKind::CallBlock) {}
  std::vector<MacroParam> caller_params;
  std::unique_ptr<CallExpr> call;
  Body body;  // becomes caller()
};

struct FilterBlockStmt : Stmt {
  FilterBlockStmt() : Stmt(StmtKind::FilterBlock) {}
  std::vector<std::unique_ptr<FilterExpr>> filters;
  Body body;
};

struct BreakStmt : Stmt {
  BreakStmt() : Stmt(StmtKind::Break) {}
};
struct ContinueStmt : Stmt {
  ContinueStmt() : Stmt(StmtKind::Continue) {}
};

struct WithStmt : Stmt {
  WithStmt() : Stmt(StmtKind::With) {}
  std::vector<std::pair<std::string, ExprPtr>> assignments;
  Body body;
};

struct DoStmt : Stmt {
  DoStmt() : Stmt(StmtKind::Do) {}
  ExprPtr expr;
};

struct Program {
  Body body;
};

}  // namespace glasswing::chat::jinja
