# E4: higher-order derivatives with create_graph=True (notes: autograd lesson)
import torch

x = torch.tensor([3.], requires_grad=True)
y = torch.pow(x, 2)  # y = x**2
print(y.grad_fn)

grad_1 = torch.autograd.grad(y, x, create_graph=True)  # grad_1 = dy/dx = 2x = 2 * 3 = 6
print(grad_1)

grad_2 = torch.autograd.grad(grad_1[0], x)  # grad_2 = d(dy/dx)/dx = d(2x)/dx = 2
print(grad_2)

# the same, built as x*x: the first gradient's grad_fn is AddBackward0
y = x * x
grad_1 = torch.autograd.grad(y, x, create_graph=True)
print(grad_1)
