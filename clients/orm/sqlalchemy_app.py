"""SQLAlchemy 2 with psycopg 3: metadata.create_all, the inspector, and an ORM session with
RETURNING (bulk insert), a savepoint that is rolled back, and a relationship load.
    python sqlalchemy_app.py PORT"""
import sys

from sqlalchemy import ForeignKey, String, create_engine, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    books: Mapped[list["Book"]] = relationship(back_populates="author", order_by="Book.id")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{sys.argv[1]}/postgres")
Base.metadata.create_all(engine)
inspector = inspect(engine)
for table in inspector.get_table_names():
    inspector.get_columns(table)
    inspector.get_pk_constraint(table)
    inspector.get_foreign_keys(table)
    inspector.get_indexes(table)
    inspector.get_unique_constraints(table)

with Session(engine) as session:
    ada = Author(name="Ada")
    session.add(ada)
    session.flush()
    session.add_all([Book(title="Notes", author=ada), Book(title="Sketches", author=ada)])
    session.commit()
    savepoint = session.begin_nested()
    session.add(Author(name="Grace"))
    session.flush()
    savepoint.rollback()
    session.add(Author(name="Alan"))
    session.commit()
    names = session.scalars(select(Author.name).order_by(Author.id)).all()
    books = [b.title for b in session.scalars(select(Author).where(Author.name == "Ada")).one().books]
    print(names, books)
